namespace OperatorConsole.Infrastructure.Channels.Simulator;

/// <summary>
/// Where this app reaches its own endpoints from inside (the customer simulator posts its signed webhooks there).
/// Decided by the server from its configuration and listening addresses, never by a browser.
/// </summary>
public interface ISelfAddress
{
    Uri BaseAddress { get; }
}
