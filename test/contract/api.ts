// The committed API types, where consumer.ts finds them in the tree (the consumer check puts freshly
// generated ones in this file's place).
export type * from '../../src/http/generated/api.js';
