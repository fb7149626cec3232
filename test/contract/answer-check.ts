// Checks real answers against the OpenAPI document that the server serves, as a client generated from it
// would read them: the operation (method and path) must be in it, the status documented, the content
// type one the status lists, the body valid against its schema (ajv with the document's own components)
// and every required response header present and valid. Misses are collected, each naming the answer,
// so that one run lists every answer outside the document.
import { Ajv, type ValidateFunction } from 'ajv';
// ajv-formats is CommonJS: under NodeNext its default import is the module, whose `default` is the plugin.
import addFormats from 'ajv-formats';

export interface Answer {
  method: string;
  /** The request's URL (path and query), as sent. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An OpenAPI 3.0 schema as JSON Schema for ajv: `nullable` becomes a null alternative and references into
 * the document point at it by its id (a response schema is compiled on its own, outside the document).
 */
function jsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchema);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string')
      out[key] = value.startsWith('#') ? `openapi${value}` : value;
    else if (key === 'nullable' || key === 'example' || key === 'xml' || key === 'externalDocs') continue;
    else if (key === 'properties' && isObject(value))
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSchema(v)]));
    else out[key] = jsonSchema(value);
  }
  return schema.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

export class AnswerCheck {
  /** Each answer that held, as `METHOD /path/{template} STATUS`. */
  readonly validated: string[] = [];
  /** Each answer that did not, with why. */
  readonly misses: string[] = [];
  private readonly ajv = new Ajv({ strict: true, allErrors: true, strictRequired: false });
  private readonly compiled = new Map<unknown, ValidateFunction>();
  private readonly routes: { method: string; template: string; pattern: RegExp; operation: Json }[] = [];

  constructor(private readonly document: Json) {
    addFormats.default(this.ajv);
    // The document's binary bodies (uploads, downloads) are bytes, which a JSON schema does not read.
    this.ajv.addFormat('binary', true);
    // OpenAPI's own keywords, and the document's `components`, where its schemas' references point.
    this.ajv.addVocabulary(['components', 'discriminator', 'example']);
    this.ajv.addSchema({ $id: 'openapi', components: jsonSchema(document.components ?? {}) });
    for (const [template, item] of Object.entries(this.object(document.paths, 'paths'))) {
      for (const [method, operation] of Object.entries(this.object(item, template))) {
        if (!isObject(operation) || !('responses' in operation)) continue;
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
        this.routes.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${source}$`),
          operation,
        });
      }
    }
    // A literal path wins over a template that also matches it.
    this.routes.sort((a, b) => a.template.split('{').length - b.template.split('{').length);
  }

  /** Checks one answer: it counts as validated, or as a miss. */
  check(answer: Answer): void {
    try {
      this.validated.push(this.operationOf(answer));
    } catch (error) {
      this.misses.push(error instanceof Error ? error.message : String(error));
    }
  }

  private operationOf(answer: Answer): string {
    const path = answer.url.split('?')[0] ?? '';
    const what = `${answer.method} ${path} → ${answer.status} ${answer.body.slice(0, 300)}`;
    const route = this.routes.find((r) => r.method === answer.method && r.pattern.test(path));
    if (!route) throw new Error(`not in the document: ${what}`);
    const responses = this.object(route.operation.responses, 'responses');
    const documented =
      responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`] ?? responses.default;
    if (documented === undefined) throw new Error(`status not documented for ${route.template}: ${what}`);
    const response = this.object(this.deref(documented), 'response');
    this.checkHeaders(response, answer, what);
    this.checkBody(response, answer, what);
    return `${answer.method} ${route.template} ${answer.status}`;
  }

  /** The distinct statuses validated so far, in order. */
  statuses(): number[] {
    return [...new Set(this.validated.map((v) => Number(v.split(' ')[2])))].sort((a, b) => a - b);
  }

  private checkBody(response: Json, answer: Answer, what: string) {
    const content = response.content === undefined ? {} : this.object(response.content, 'content');
    const type =
      String(answer.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    if (Object.keys(content).length === 0) {
      if (answer.body !== '') throw new Error(`a body where the document has none: ${what}`);
      return;
    }
    // The most specific media range that covers the answer's type: `text/csv`, `text/*`, `*/*`.
    const media = content[type] ?? content[`${type.split('/')[0]}/*`] ?? content['*/*'];
    if (!isObject(media)) throw new Error(`content type ${type || '(none)'} not documented: ${what}`);
    if (type !== 'application/json' || media.schema === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      throw new Error(`a body that is not JSON: ${what}`);
    }
    const validate = this.validator(media.schema);
    if (!validate(body))
      throw new Error(`body not as documented (${this.ajv.errorsText(validate.errors)}): ${what}`);
  }

  private checkHeaders(response: Json, answer: Answer, what: string) {
    const headers = response.headers === undefined ? {} : this.object(response.headers, 'headers');
    for (const [name, declared] of Object.entries(headers)) {
      const header = this.object(this.deref(declared), name);
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required === true) throw new Error(`documented header ${name} missing: ${what}`);
        continue;
      }
      if (header.schema === undefined) continue;
      const schema = this.object(this.deref(header.schema), `${name} schema`);
      // A header is text: a number or integer header is checked as the number it spells.
      const text = String(value);
      const read = schema.type === 'integer' || schema.type === 'number' ? Number(text) : text;
      const validate = this.validator(header.schema);
      if (!validate(read))
        throw new Error(`header ${name}: ${text} (${this.ajv.errorsText(validate.errors)}): ${what}`);
    }
  }

  private validator(schema: unknown): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(this.object(jsonSchema(schema), 'schema'));
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** A response, header or schema object, with a `$ref` into the document followed. */
  private deref(value: unknown): unknown {
    if (!isObject(value) || typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
    let at: unknown = this.document;
    for (const part of value.$ref.slice(2).split('/')) at = isObject(at) ? at[part] : undefined;
    if (at === undefined) throw new Error(`unresolved reference ${value.$ref}`);
    return this.deref(at);
  }

  private object(value: unknown, what: string): Json {
    if (!isObject(value)) throw new Error(`the document's ${what} is not an object`);
    return value;
  }
}
