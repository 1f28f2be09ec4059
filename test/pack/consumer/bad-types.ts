import { defineAttentionKernel } from 'attnfuzz';
// must NOT type-check: forward is missing, name is a number
export default defineAttentionKernel({ name: 42 });
