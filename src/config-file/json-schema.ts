// The configuration file's JSON Schema, for editors: `edgebench schema` prints it and
// `npm run generate` commits it as schema/edgebench-config.schema.json.
import { z } from 'zod';
import { configSchema } from './schema.js';

export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'edgebench configuration' }, null, 2)}\n`;
}
