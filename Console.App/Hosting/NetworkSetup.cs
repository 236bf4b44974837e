using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Security;

namespace OperatorConsole.App.Hosting;

/// <summary>
/// Which proxies may tell us the client's address, scheme and host (X-Forwarded-For/Proto/Host), and which hosts we
/// answer for. Nobody is trusted by default, loopback included: a forwarded header from anyone else is ignored.
/// </summary>
public static class NetworkSetup
{
    public static IServiceCollection AddConsoleNetwork(this IServiceCollection services)
    {
        // Network:* is bound and checked (addresses, CIDRs) once, with the other sections, in the infrastructure.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<NetworkOptions>>((o, network) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in network.Value.ProxyEntries) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var cidr in network.Value.NetworkEntries) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(cidr));
        });
        // In Production the app answers only for its public host unless AllowedHosts says otherwise, so a forged
        // Host header cannot reach anything that still reads it.
        services.AddOptions<HostFilteringOptions>().PostConfigure<IConfiguration, IHostEnvironment, IOptions<Infrastructure.Options.PlatformOptions>>(
            (o, config, env, platform) =>
            {
                if (!env.IsProduction() || !string.IsNullOrWhiteSpace(config["AllowedHosts"])) return;
                if (PublicLinks.Normalize(platform.Value.PublicBaseUrl) is { } url) o.AllowedHosts = [url.Host];
            });
        services.AddOptions<ForwardedHeadersOptions>().PostConfigure<IOptions<HostFilteringOptions>>((o, hosts) =>
        {
            if (hosts.Value.AllowedHosts is { Count: > 0 } allowed && !allowed.Contains("*")) o.AllowedHosts = allowed;
        });
        return services;
    }
}
