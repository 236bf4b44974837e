using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Channels.Simulator;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.App.Hosting;

/// <summary>
/// This node's own address: <c>Simulator:BaseUrl</c> when set (a container whose listening address is not reachable
/// as-is), else the server's listening address with a wildcard host read as loopback (plain http preferred: no
/// certificate to trust for a call to ourselves), else the public URL.
/// </summary>
public sealed class ServerSelfAddress(IServer server, IOptions<SimulatorOptions> simulator, PublicLinks publicLinks) : ISelfAddress
{
    public Uri BaseAddress
    {
        get
        {
            if (PublicLinks.Normalize(simulator.Value.BaseUrl) is { } configured) return configured;
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var listening = addresses.OrderBy(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase)).FirstOrDefault();
            if (listening is null) return publicLinks.Base;
            var loopback = listening.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1")
                .Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1");
            return PublicLinks.Normalize(loopback) ?? publicLinks.Base;
        }
    }
}
