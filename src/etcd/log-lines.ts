// PURE. The lines of etcd's zap log (3.4 to 3.6) that say how far a starting member has got.

/** As its peer listener starts serving: after its own bootstrap check, if any. */
export const SERVING_PEERS = /"msg":"serving peer traffic"/;

/**
 * When startNode/restartNode begins: after the bootstrap check of its peers, if any. From here on a new member asks
 * nobody anything before it serves (docs/etcd-facts.md#bootstrap-stall).
 */
export const PAST_BOOTSTRAP_CHECK = /"msg":"(re)?starting local member"/;
