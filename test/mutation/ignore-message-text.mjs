// A Stryker ignorer (`ignorers: ['message-text']` in stryker.config.mjs): mutants of human-readable message text are
// not run. Issue 18 allows excluding message texts by config; codes, states, field names and every other string stay
// mutated. A string or template literal is message text when it is the value of a `reason`, `message`, `detail` or
// `outcomeReason` property, a branch of a conditional that is, a part of a `+` of two texts that is, or an argument of `new SomethingError(...)`. Log
// lines are message text too: the arguments of `log.debug/info/warn/error(...)` calls, blocks that only log, and the
// body of `logAttributes`, which only builds log fields (what a step logs is read by people; what it does is tested).
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const MESSAGE_PROPERTIES = new Set(['reason', 'message', 'detail', 'outcomeReason']);
const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** `….log.info(…)` or `log.warn(…)`: a call of a log level on something named `log`. */
function isLogCall(node) {
  if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression') return false;
  const { object, property } = node.callee;
  if (property.type !== 'Identifier' || !LOG_LEVELS.has(property.name)) return false;
  const name =
    object.type === 'Identifier' ? object.name : object.type === 'MemberExpression' ? object.property.name : '';
  return name === 'log';
}

/** A log call, or the statement that is one. */
function isLogStatement(node) {
  return isLogCall(node) || (node.type === 'ExpressionStatement' && isLogCall(node.expression));
}

/** A block that only logs (a catch that logs and carries on): emptying it loses a log line, nothing else. */
function isLogOnlyBlock(node) {
  return (
    node.type === 'BlockStatement' &&
    node.body.length > 0 &&
    node.body.every((statement) => statement.type === 'ExpressionStatement' && isLogCall(statement.expression))
  );
}

function isLogAttributesBody(path) {
  const node = path.node;
  return (
    node.type === 'BlockStatement' &&
    path.parentPath?.node.type === 'FunctionDeclaration' &&
    path.parentPath.node.id?.name === 'logAttributes'
  );
}

function isText(node) {
  return node.type === 'StringLiteral' || node.type === 'TemplateLiteral';
}

/** Texts joined with `+`. */
function isTextChain(node) {
  return node.type === 'BinaryExpression' && node.operator === '+' && [node.left, node.right].every(isTextOrChain);
}

function isTextOrChain(node) {
  return isText(node) || isTextChain(node);
}

function isMessageSlot(path) {
  const parent = path.parentPath;
  if (parent === null) return false;
  const node = parent.node;
  if (node.type === 'ConditionalExpression' && path.node !== node.test) return isMessageSlot(parent);
  // A long text split over lines: `first part ` + `second part` + ….
  if (isTextChain(node)) return isMessageSlot(parent);
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
      if (isText(path.node) && isMessageSlot(path)) return 'Message text: readable words, excluded by config';
      if (isLogStatement(path.node) || isLogOnlyBlock(path.node) || isLogAttributesBody(path))
        return 'Message text: a log line, excluded by config';
      return undefined;
    },
  }),
];
