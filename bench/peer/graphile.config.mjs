// PostGraphile v5 for `make bench-peer`: the Amber preset over the bench database's public
// schema, production mode (no GraphiQL, no explain, no watch). Everything else is stock.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // Amber offers conditions and orders only on indexed columns; the bench's shapes filter
  // on accounts.role and schedules.is_active and order schedules by weekday. This is what
  // PostGraphile's own V4 preset does by default (ignoreIndexes); the schema is unchanged.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
    }),
  ],
  grafserv: {
    host: process.env.PEER_HOST ?? "127.0.0.1",
    port: Number(process.env.PEER_PORT ?? 8768),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
