// Bundle entry: every workflow function, nothing else.
export { conversationWorkflow } from './conversation/conversation.workflow';
