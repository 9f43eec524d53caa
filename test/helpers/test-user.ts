/** The API user every in-process test daemon has (test/helpers/in-process-daemon.ts). */
export const TEST_USER = { username: 'HTTP_User_1', password: 'qwe123' };
