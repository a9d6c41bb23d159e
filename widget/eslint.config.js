// ESLint flat config: the recommended rules, browser globals for src/, Node's for the
// build script. Formatting is prettier's job (npm run format), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['src/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
    rules: {
      // The widget's own rules: no eval in any form, no HTML parsing of text.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Set text with textContent or text nodes.' },
        { property: 'outerHTML', message: 'Set text with textContent or text nodes.' },
        { property: 'insertAdjacentHTML', message: 'Build nodes with h().' },
      ],
    },
  },
  {
    files: ['*.mjs', '*.js'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
];
