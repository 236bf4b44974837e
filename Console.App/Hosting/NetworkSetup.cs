using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.App.Hosting;

/// <summary>
/// Which proxies may tell us the client's address, scheme and host (X-Forwarded-For/Proto/Host), and which hosts we
/// answer for. Nobody is trusted by default, loopback included: a forwarded header from anyone else is ignored.
/// </summary>
public static class NetworkSetup
{
    public static IServiceCollection AddConsoleNetwork(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, config) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in List(config, "Network:KnownProxies"))
                o.KnownProxies.Add(IPAddress.TryParse(proxy, out var ip) ? ip
                    : throw new InvalidOperationException($"Network:KnownProxies: '{proxy}' is not an IP address."));
            foreach (var network in List(config, "Network:KnownNetworks"))
                o.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var n) ? n
                    : throw new InvalidOperationException($"Network:KnownNetworks: '{network}' is not a CIDR network (10.0.0.0/8)."));
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

    // A list from configuration: an array (Network__KnownProxies__0) or one value separated by ',' or ';'.
    private static IEnumerable<string> List(IConfiguration config, string key)
    {
        var section = config.GetSection(key);
        var values = section.GetChildren().Select(c => c.Value).ToList();
        if (section.Value is { } single) values.Add(single);
        return values.SelectMany(v => (v ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
