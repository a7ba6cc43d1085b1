import * as z from 'zod';
import { heartbeatSource } from './heartbeat-writer.ts';

const common = {
  /** The Atlas Admin API credentials (getCluster; temporary users). */
  ATLAS_SECRET_ID: z.string().min(1),
  ATLAS_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A CA bundle for the clusters' TLS: the simulator's locally; unset in AWS (Atlas's certificates are public). */
  ATLAS_TLS_CA_FILE: z.string().min(1).optional(),
};

/** What both driver functions read: the Atlas API secret and address, and the clusters' CA (locally). */
export const commonEnvironment = z.object(common);
export type CommonEnvironment = z.infer<typeof commonEnvironment>;

/** The verifier function's environment. */
export const verifierEnvironment = z.object({
  ...common,
  LEDGER_TABLE_NAME: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  /** The verifier's database user (`{ "username", "password" }`), for requests with `credentials: "secret"`. */
  VERIFIER_DATABASE_SECRET_ID: z.string().min(1).optional(),
});
export type VerifierEnvironment = z.infer<typeof verifierEnvironment>;

/** The heartbeat writer's environment; its scheduled event may name the sources instead (`{ "sources": [...] }`). */
export const heartbeatEnvironment = z.object({
  ...common,
  /** The heartbeat user (`{ "username", "password" }`): readWrite on the heartbeat database of each source. */
  HEARTBEAT_DATABASE_SECRET_ID: z.string().min(1),
  /** `groupId/clusterName`, comma-separated. */
  HEARTBEAT_SOURCES: z
    .string()
    .optional()
    .transform((text) => (text ?? '').split(',').filter((entry) => entry.trim() !== ''))
    .pipe(z.array(heartbeatSource)),
  HEARTBEAT_DATABASE: z.string().min(1).optional(),
  HEARTBEAT_COLLECTION: z.string().min(1).optional(),
});

/** The writer's scheduled event: sources here win over HEARTBEAT_SOURCES. */
export const heartbeatEvent = z.looseObject({ sources: z.array(heartbeatSource).min(1).optional() });
