/* Table tests for log.c: which variable names count as secrets (never printed), and the
 * redaction of a URL's user:password. */
#include "pinit/log.h"
#include "unit.h"

int main(void)
{
  static const struct {
    const char *name;
    int secret;
  } cases[] = {
    { "DATABASE_PASSWORD", 1 }, { "database_password", 1 }, { "MARIADB_ROOT_PASSWD", 1 },
    { "DATAHUB_ACCESS_KEY", 1 }, { "api_key_id", 1 }, { "KEY", 1 }, { "GITHUB_TOKEN", 1 },
    { "Client_Secret", 1 }, { "AWS_CREDENTIALS", 1 }, { "pAsSwOrD", 1 }, { "xKEYx", 1 },
    { "PASS", 0 }, { "PASSWOR", 0 }, { "SSL_CERT", 0 }, { "TF_CLI_CONFIG", 0 }, { "KE", 0 },
    { "TOKE", 0 }, { "SECRE", 0 }, { "CREDENTIA", 0 }, { "", 0 }, { "PATH", 0 }, { "HOSTNAME", 0 },
    { "K", 0 }, { "PPASSWORD", 1 }, { "SSECRET", 1 }, { "TTOKEN", 1 }, { "CCREDENTIAL", 1 },
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if(log_is_secret_name(cases[i].name) != cases[i].secret)
      fprintf(stderr, "log_is_secret_name(\"%s\") != %d\n", cases[i].name, cases[i].secret);
    CHECK_INT(log_is_secret_name(cases[i].name), cases[i].secret);
  }
  /* log_redact_userinfo: in place, and the text never grows (a one-byte user must not
   * push a full message past its buffer) */
  static const struct {
    const char *in, *out;
  } redact[] = {
    { "GET http://user:pw@h:8081/x failed", "GET http://***@h:8081/x failed" },
    { "http://a@h", "http://*@h" },
    { "tcp://ab@h:1 and http://abc@h", "tcp://**@h:1 and http://***@h" },
    { "http://h/p@q", "http://h/p@q" },
    { "http://@h", "http://@h" },
    { "no url", "no url" },
  };
  for(size_t i = 0; i < sizeof(redact) / sizeof(redact[0]); i++) {
    char s[128];
    snprintf(s, sizeof(s), "%s", redact[i].in);
    log_redact_userinfo(s);
    CHECK_STR(s, redact[i].out);
  }
  {
    char big[LOG_LINE_MAX + 1];
    size_t len;
    big[0] = '\0';
    while(strlen(big) + 11 < sizeof(big))
      strcat(big, "http://a@h ");
    len = strlen(big);
    log_redact_userinfo(big);
    CHECK_INT(strlen(big), len);
  }
  return unit_done("log");
}
