// typescript-eslint with the type-checked rules (issue 16): the linter reads the types, so it catches a promise
// nobody awaits, a value typed any leaking into the domain, a condition that is always true.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'firmware-bridge/c/**', 'bench/results.json', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A leading underscore is how this codebase names a value it takes only to drop it: the rest of an object
      // minus a few keys (`const { secret: _s, ...shown } = config`), or a parameter an interface requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Transports, commands and fakes implement interfaces whose methods return promises. Declaring them async
      // (even with nothing to await) turns a throw into a rejection the caller already handles; without async the
      // same throw escapes synchronously past the caller's .catch, which is how a daemon crashes on bad input.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    // The plain-JS files (bin/gate.js, configs) run under Node, not a browser.
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
);
