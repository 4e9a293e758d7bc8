// Catalogued sentences: the CLI's own words in English and Korean (help headings, notices). Docker's
// own error lines are not here: they stay English (see hints.ts for what is added under them).
// The dashboard's words live in dashboard.ts (the page reads the dashboard.* keys).
import { DASHBOARD_MESSAGES } from './dashboard.js'
// --explain's words are in explain-messages.ts.
import { EXPLAIN_MESSAGES } from './explain-messages.js'

export const MESSAGES = {
  'help.usage': { en: 'Usage:', ko: '사용법:' },
  'help.aliases': { en: 'Aliases:', ko: '별칭:' },
  'help.options': { en: 'Options:', ko: '옵션:' },
  'help.commands': { en: 'Commands:', ko: '명령:' },
  'help.common': { en: 'Common Commands:', ko: '자주 쓰는 명령:' },
  'help.management': { en: 'Management Commands:', ko: '관리 명령:' },
  'help.default': { en: '(default {value})', ko: '(기본값 {value})' },
  'help.global': { en: 'Global Options:', ko: '전역 옵션:' },
  'help.root': { en: 'A container runtime for learning how Docker really works', ko: 'Docker가 실제로 어떻게 동작하는지 배우기 위한 컨테이너 런타임' },
  'help.more': { en: "Run '{cmd} COMMAND --help' for more information on a command.", ko: "명령별 자세한 설명은 '{cmd} COMMAND --help'를 실행하세요." },
  'help.guide': { en: 'For the lab guide, see docs/lab/en/ (Korean: docs/lab/ko/).', ko: '실습 안내서는 docs/lab/ko/에 있습니다 (영어: docs/lab/en/).' },
  'run.forceExit': { en: '\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n', ko: '\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n' },
  'engine.starting': {
    en: 'Starting the tocker engine in the background: tockerd pid {pid}, store {root}, log {log}',
    ko: 'tocker 엔진을 백그라운드에서 시작합니다: tockerd pid {pid}, 저장소 {root}, 로그 {log}',
  },
  ...DASHBOARD_MESSAGES,
  ...EXPLAIN_MESSAGES,
} as const

export type MessageKey = keyof typeof MESSAGES
