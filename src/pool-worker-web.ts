// Pool worker for browser Web Workers (see pool-worker-core.ts). No imports but the core.
import { serve, type ToWorker } from "./pool-worker-core.js";

const scope = self as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const handle = serve((m) => scope.postMessage(m));
scope.onmessage = (e) => handle(e.data);
