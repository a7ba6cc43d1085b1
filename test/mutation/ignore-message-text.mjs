// A Stryker ignorer (`ignorers: ['message-text']` in stryker.config.mjs): mutants of human-readable message text are
// not run. Issue 18 allows excluding message texts by config; codes, states, field names and every other string stay
// mutated. A string or template literal is message text when it is the value of a `reason`, `message` or `detail`
// property, a branch of a conditional that is, or an argument of `new SomethingError(...)`.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const MESSAGE_PROPERTIES = new Set(['reason', 'message', 'detail']);

function isText(node) {
  return node.type === 'StringLiteral' || node.type === 'TemplateLiteral';
}

function isMessageSlot(path) {
  const parent = path.parentPath;
  if (parent === null) return false;
  const node = parent.node;
  if (node.type === 'ConditionalExpression' && path.node !== node.test) return isMessageSlot(parent);
  if (node.type === 'ObjectProperty' && node.value === path.node && !node.computed) {
    const key = node.key.type === 'Identifier' ? node.key.name : node.key.value;
    return MESSAGE_PROPERTIES.has(key);
  }
  if (node.type === 'NewExpression' && node.callee.type === 'Identifier' && /Error$/.test(node.callee.name)) {
    return node.arguments.includes(path.node);
  }
  return false;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'message-text', {
    shouldIgnore(path) {
      return isText(path.node) && isMessageSlot(path) ? 'Message text: readable words, excluded by config' : undefined;
    },
  }),
];
