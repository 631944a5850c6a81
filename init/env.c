/* env.c - variable lookup in an environment block.  See include/pinit/env.h. */
#include "pinit/env.h"

#include <string.h>

const char *env_getn(char *const *envp, const char *name, size_t n)
{
  if(memchr(name, '=', n))
    return NULL; /* no entry can be named so */
  for(; envp && *envp; envp++)
    if(!strncmp(*envp, name, n) && (*envp)[n] == '=')
      return *envp + n + 1;
  return NULL;
}

const char *env_get(char *const *envp, const char *name)
{
  return env_getn(envp, name, strlen(name));
}

const char *env_value(char *const *envp, const char *name)
{
  const char *v = env_get(envp, name);
  return v && *v ? v : NULL;
}
