// Response serializers compiled once per process: fast-json-stringify turns each route's response schema
// into a function (about 0.7 s of CPU for all of tokend's routes, measured). Within one app the answers
// many routes repeat (the error catalogue's) are compiled once, and a process that builds the app again
// with the same schemas (a second instance beside the first, as the tests and the bench build them)
// takes the functions already made. Keyed by the schemas' JSON (the shared ones, the options and the
// route's), so any other schema is compiled as Fastify would.
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type Factory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<Factory>>;

const compile = SerializerSelector();
const compiled = new Map<string, Serializer>();

export const cachedSerializers: Factory = (externalSchemas, options) => {
  const build = compile(externalSchemas, options);
  const shared = JSON.stringify([externalSchemas, options]);
  return (route) => {
    const key = `${shared}\n${JSON.stringify(route.schema)}`;
    let serializer = compiled.get(key);
    if (!serializer) {
      serializer = build(route);
      compiled.set(key, serializer);
    }
    return serializer;
  };
};
