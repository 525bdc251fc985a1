// ESLint flat config: the recommended JavaScript and TypeScript rules, without type information
// so that `npm run lint` stays fast (tsc --noEmit does the type checking).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["**/node_modules/", "**/__generated__/", "router/supergraph.graphql", "sdk/__generated__/", ".secrets/", "var/"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      // Plain .js files (this one, scripts) run on Node; TypeScript files get their globals from @types/node.
      globals: { console: "readonly", process: "readonly", URL: "readonly", fetch: "readonly", AbortSignal: "readonly" },
    },
    rules: {
      // `_` marks a parameter or binding that is deliberately unused (resolver `parent`, destructured leftovers).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
);
