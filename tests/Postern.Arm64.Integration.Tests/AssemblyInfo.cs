// qemu-user, ELF files and packages are Linux things; the tests use Unix file modes freely.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
