namespace Postern.Hosting;

/// <summary>syslog priorities, as journald reads them from a "&lt;N&gt;" line prefix (sd-daemon(3)).</summary>
public enum LogLevel
{
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}
