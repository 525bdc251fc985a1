import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createProductsServer } from "./server.js";

const server = await createProductsServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());
