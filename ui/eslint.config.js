import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

/** Only the IPC layer may talk to Tauri; everything else gets an `Ipc` from context. */
const tauriOnlyInIpc = {
  patterns: [
    {
      group: ["@tauri-apps/api", "@tauri-apps/api/*"],
      message:
        "Only src/lib/ipc/commands.ts and src/lib/ipc/events.ts may import @tauri-apps/api; use the Ipc from context (getIpc()).",
    },
  ],
};

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "src/lib/ipc/bindings/"] },
  js.configs.recommended,
  ts.configs.strict,
  svelte.configs.recommended,
  prettier,
  svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "no-restricted-imports": ["error", tauriOnlyInIpc],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts", "**/*.svelte.js"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: [".svelte"],
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    files: ["src/lib/ipc/commands.ts", "src/lib/ipc/events.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["*.config.js", "*.config.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
);
