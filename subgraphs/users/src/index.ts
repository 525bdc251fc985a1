import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createUsersServer } from "./server.js";

const server = await createUsersServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());
