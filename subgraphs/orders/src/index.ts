import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createOrdersServer } from "./server.js";

const server = await createOrdersServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());
