// The httpd image, `httpd:latest` and `httpd:2.4`: Apache from Debian's own packages (apache2-bin),
// as a layer on the debian image, laid out and configured like Docker Hub's httpd image, so the
// tutorials work as written: `docker run -d -p 8080:80 httpd` prints Apache's start-up lines and
// serves "It works!" from /usr/local/apache2/htdocs; `docker exec -it … bash` then `apt update &&
// apt install nano` works (with internet); `docker stop` sends SIGWINCH, Apache's graceful stop.
//
// The official image compiles Apache into /usr/local/apache2. Debian's Apache is the same program
// with its files where Debian keeps them, so the official paths are links:
//   /usr/local/apache2/bin/httpd   -> /usr/sbin/apache2   (argv[0] "httpd": its messages say httpd)
//   /usr/local/apache2/modules     -> /usr/lib/apache2/modules
//   /etc/apache2/apache2.conf      -> /usr/local/apache2/conf/httpd.conf (Debian's binary reads
//                                     this path when it is given no -f, as `httpd -DFOREGROUND` is)
// and conf/httpd.conf is the official default configuration, trimmed to what it uses, logging to
// the container's stdout/stderr (/proc/self/fd/1 and 2) as the official image's does.
export const HTTPD_IMAGES = ['docker.io/library/httpd:latest', 'docker.io/library/httpd:2.4']

/** What is installed into the debian image for this layer. */
export const HTTPD_PACKAGES = ['apache2-bin', 'media-types']

export const INDEX_HTML = '<html><body><h1>It works!</h1></body></html>\n'

// The official image's script, word for word.
export const HTTPD_FOREGROUND = `#!/bin/sh
set -e

# Apache gets grumpy about PID files pre-existing
rm -f /usr/local/apache2/logs/httpd.pid

exec httpd -DFOREGROUND "$@"
`

// Modules Debian builds into the binary itself (core, so, watchdog, http, log_config, logio,
// version, unixd) are not loaded again: Apache would warn about each.
export const HTTPD_CONF = `# Apache httpd 2.4's default configuration, as Docker Hub's httpd image ships it (comments removed;
# logs go to the container's stdout and stderr), with Debian's module directory.
ServerRoot "/usr/local/apache2"
Listen 80

LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authn_file_module modules/mod_authn_file.so
LoadModule authn_core_module modules/mod_authn_core.so
LoadModule authz_host_module modules/mod_authz_host.so
LoadModule authz_groupfile_module modules/mod_authz_groupfile.so
LoadModule authz_user_module modules/mod_authz_user.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule access_compat_module modules/mod_access_compat.so
LoadModule auth_basic_module modules/mod_auth_basic.so
LoadModule reqtimeout_module modules/mod_reqtimeout.so
LoadModule filter_module modules/mod_filter.so
LoadModule mime_module modules/mod_mime.so
LoadModule env_module modules/mod_env.so
LoadModule headers_module modules/mod_headers.so
LoadModule setenvif_module modules/mod_setenvif.so
LoadModule status_module modules/mod_status.so
LoadModule autoindex_module modules/mod_autoindex.so
LoadModule dir_module modules/mod_dir.so
LoadModule alias_module modules/mod_alias.so

<IfModule unixd_module>
User www-data
Group www-data
</IfModule>

ServerAdmin you@example.com
PidFile logs/httpd.pid
DefaultRuntimeDir logs

<Directory />
    AllowOverride none
    Require all denied
</Directory>

DocumentRoot "/usr/local/apache2/htdocs"
<Directory "/usr/local/apache2/htdocs">
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>

<IfModule dir_module>
    DirectoryIndex index.html
</IfModule>

<Files ".ht*">
    Require all denied
</Files>

ErrorLog /proc/self/fd/2
LogLevel warn

<IfModule log_config_module>
    LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
    LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
    CustomLog /proc/self/fd/1 common
</IfModule>

<IfModule alias_module>
    ScriptAlias /cgi-bin/ "/usr/local/apache2/cgi-bin/"
</IfModule>

<Directory "/usr/local/apache2/cgi-bin">
    AllowOverride None
    Options None
    Require all granted
</Directory>

<IfModule headers_module>
    RequestHeader unset Proxy early
</IfModule>

<IfModule mime_module>
    TypesConfig /etc/mime.types
    AddType application/x-compress .Z
    AddType application/x-gzip .gz .tgz
</IfModule>
`

/** The image config, with Apache's upstream version (from the package's, "2.4.62-1~deb12u2" → "2.4.62"). */
export function httpdConfig(packageVersion) {
  const version = /^(?:\d+:)?([\d.]+)/.exec(packageVersion)?.[1] ?? packageVersion
  return {
    ExposedPorts: { '80/tcp': {} },
    Env: ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2', `HTTPD_VERSION=${version}`],
    Cmd: ['httpd-foreground'],
    WorkingDir: '/usr/local/apache2',
    StopSignal: 'SIGWINCH',
  }
}

/**
 * The shell script run chrooted in a copy of the debian root: installs Apache from the mirror and
 * lays out /usr/local/apache2. Prints the installed apache2-bin version last.
 */
export function httpdInstallScript() {
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`
  return [
    'apt-get update -qq',
    `apt-get install -y -qq --no-install-recommends ${HTTPD_PACKAGES.join(' ')} >/dev/null`,
    'mkdir -p /usr/local/apache2/bin /usr/local/apache2/conf /usr/local/apache2/htdocs /usr/local/apache2/logs /usr/local/apache2/cgi-bin /etc/apache2',
    'ln -s /usr/sbin/apache2 /usr/local/apache2/bin/httpd',
    'ln -s /usr/lib/apache2/modules /usr/local/apache2/modules',
    'ln -s /usr/local/apache2/conf/httpd.conf /etc/apache2/apache2.conf',
    `printf %s ${q(HTTPD_CONF)} > /usr/local/apache2/conf/httpd.conf`,
    `printf %s ${q(INDEX_HTML)} > /usr/local/apache2/htdocs/index.html`,
    `printf %s ${q(HTTPD_FOREGROUND)} > /usr/local/bin/httpd-foreground`,
    'chmod 755 /usr/local/bin/httpd-foreground',
    // The configuration must be valid: `httpd -t` says "Syntax OK" or what is wrong.
    '/usr/local/apache2/bin/httpd -t',
    "dpkg-query -W -f '${Version}\\n' apache2-bin",
  ].join('\n')
}
