// Packages, systemd and OpenWrt are Linux things; the tests use Unix file modes freely.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
