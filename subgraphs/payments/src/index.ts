import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createPaymentsServer } from "./server.js";

const server = await createPaymentsServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());
