/* string_names.h: preload/string.c's functions under names of their own, so
 * that string_test.c can hold them against libc's. */
#define memcpy rt_memcpy
#define memmove rt_memmove
#define memset rt_memset
#define memcmp rt_memcmp
#define memchr rt_memchr
#define strlen rt_strlen
#define strnlen rt_strnlen
#define strcmp rt_strcmp
#define strncmp rt_strncmp
#define strchr rt_strchr
#define strrchr rt_strrchr
#define stpcpy rt_stpcpy
#define strcpy rt_strcpy
#define strcspn rt_strcspn
#define strpbrk rt_strpbrk
#define strstr rt_strstr
#define memmem rt_memmem
