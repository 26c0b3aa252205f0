// Pool worker for Node's worker_threads (see pool-worker-core.ts).
import { parentPort } from "node:worker_threads";
import { serve, type ToWorker } from "./pool-worker-core.js";

const port = parentPort!;
const handle = serve((m) => port.postMessage(m));
port.on("message", (m: ToWorker) => handle(m));
