namespace Postern.Reflector;

public enum ListenTransport
{
    Udp,
    Tcp,
}
