// The token's recent addresses (SPEC 12): the last 5 distinct client addresses it was used from, newest
// first, each with when it was first and last seen and the client of its latest request. The server
// keeps them (the usage flush, a few seconds behind a request); the page shows them as they come.
import { Text, Time } from '../format.js';
import type { Token } from '../types.js';

export function RecentAddresses({ addresses }: { addresses: Token['recentIps'] }) {
  if (addresses.length === 0) return <p className="muted">Not used from any address yet.</p>;
  return (
    <div className="table-wrap">
      <table className="recent-addresses">
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {addresses.map((a) => (
            <tr key={a.ip}>
              <td>
                <code>{a.ip}</code>
              </td>
              <td>
                <Time iso={a.firstSeenAt} />
              </td>
              <td>
                <Time iso={a.lastSeenAt} />
              </td>
              <td className="client">
                <Text value={a.userAgent} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
