// Everything the server knows about a token except its secret, as a description list: identity,
// permissions and network rule, creation, expiry, last use (time, address, client, carrier) and the
// latest state change.
import type { ReactNode } from 'react';
import { Person, StatusBadge, Text, Time } from '../format.js';
import type { Token } from '../types.js';

const carriers: Record<string, string> = {
  authorization: 'Authorization: Bearer header',
  ff_auth: 'FF_AUTH header',
  'ff-auth': 'FF-Auth header',
  query: 'token= query parameter',
};

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="meta-item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function CodeList({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <Text value={null} empty={empty} />;
  return (
    <ul className="code-list">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

export function TokenMetadata({ token }: { token: Token }) {
  const carrier = token.lastUsedCarrier
    ? (carriers[token.lastUsedCarrier.toLowerCase()] ?? token.lastUsedCarrier)
    : null;
  return (
    <dl className="meta">
      <Item term="Status">
        <StatusBadge state={token.state} />
      </Item>
      <Item term="Token">
        <code className="display">{token.display}</code>
      </Item>
      <Item term="Description">
        <Text value={token.description} />
      </Item>
      <Item term="Issued for">
        <Text value={token.issuedFor} />
      </Item>
      <Item term="Permissions">
        <CodeList items={token.permissions} empty="None" />
      </Item>
      <Item term="Allowed addresses">
        <CodeList items={token.allowedIps} empty="Any address" />
      </Item>
      <Item term="Created">
        <Time iso={token.createdAt} /> by <Person user={token.createdBy} empty="unknown" />
      </Item>
      <Item term="Expires">
        <Time iso={token.expiresAt} empty="Never" />
      </Item>
      <Item term="Expiry set">
        <Time iso={token.expirySetAt} />
      </Item>
      <Item term="Last used">
        <Time iso={token.lastUsedAt} empty="Never used" />
      </Item>
      <Item term="Last used from IP">
        <Text value={token.lastUsedIp} />
      </Item>
      <Item term="Last used by client">
        <Text value={token.lastUsedUserAgent} />
      </Item>
      <Item term="Last used via">
        <Text value={carrier} />
      </Item>
      <Item term="State changed">
        {token.stateChangedAt ? (
          <>
            <Time iso={token.stateChangedAt} /> by <Person user={token.stateChangedBy} />
          </>
        ) : (
          <Text value={null} />
        )}
      </Item>
      <Item term="Reason">
        <Text value={token.stateReason} />
      </Item>
    </dl>
  );
}
