// ESLint flat config: the recommended JavaScript rules and typescript-eslint's type-aware recommended rules
// for TypeScript (promise handling and exhaustive switches need type information, so `.ts` files are linted
// through the TypeScript project service). Plain .js files (this one) are linted without types.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["**/node_modules/", "**/__generated__/", "router/supergraph.graphql", "sdk/__generated__/", ".secrets/", "var/"],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      // Plain .js files (this one, scripts) run on Node; TypeScript files get their globals from @types/node.
      globals: { console: "readonly", process: "readonly", URL: "readonly", fetch: "readonly", AbortSignal: "readonly" },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_` marks a parameter or binding that is deliberately unused (resolver `parent`, destructured leftovers).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // `void` only on a promise already handled (ignoreVoid: false); node:test's `test`/`describe` return
      // promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          ignoreVoid: false,
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      // A `default:` does not count for unions: a new member flags every switch that does not name it.
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      // Interfaces we implement (Apollo plugin hooks, Prisma's adapter factory) require Promise-returning methods.
      "@typescript-eslint/require-await": "off",
      // Its only hits were pino-http's `req.id` (typed string | number | object; ours is always a string).
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    // Tests still read untyped `gql<any>` results: the no-unsafe-* family would flag every field access, and
    // their `errors![0]!` would count as needless assertions until the documents are typed.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
