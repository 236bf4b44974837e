using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Agent;

namespace OperatorConsole.Infrastructure.Security;

/// <summary>What the app may reach and whom it trusts on the network. Keys: Network:*.</summary>
public sealed class NetworkOptions : IValidatableObject
{
    /// <summary>
    /// Hosts, IPs, CIDRs (each optionally ":port") that custom tools, media fetches and outbound webhooks may reach
    /// although private (on-premise integrations, tests). Agent:ToolAllowlist, its older name, is joined to it.
    /// </summary>
    public List<string> PrivateAllowlist { get; set; } = [];

    /// <summary>Reverse proxies (IP addresses) trusted to send X-Forwarded-For/Proto/Host. Nobody by default, loopback included.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR) of trusted reverse proxies.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>The proxy entries: an entry may hold several separated by ',' or ';' (Network__KnownProxies=a,b).</summary>
    public IEnumerable<string> ProxyEntries => Split(KnownProxies);

    public IEnumerable<string> NetworkEntries => Split(KnownNetworks);

    private static IEnumerable<string> Split(IEnumerable<string> values) =>
        values.SelectMany(v => (v ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// The binder ignores a single value given for a list (Network__KnownProxies=10.0.0.1,10.0.0.2 rather than
    /// Network__KnownProxies__0=…): that form has always been accepted, so it is read here.
    /// </summary>
    public static void AddSingleValues(NetworkOptions options, IConfiguration config)
    {
        if (config["Network:KnownProxies"] is { } proxies) options.KnownProxies.Add(proxies);
        if (config["Network:KnownNetworks"] is { } networks) options.KnownNetworks.Add(networks);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in ProxyEntries.Where(p => !IPAddress.TryParse(p, out _)))
            yield return new ValidationResult($"Network:KnownProxies: '{proxy}' is not an IP address.", [nameof(KnownProxies)]);
        foreach (var network in NetworkEntries.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return new ValidationResult($"Network:KnownNetworks: '{network}' is not a CIDR network (10.0.0.0/8).", [nameof(KnownNetworks)]);
    }
}

/// <summary>A destination the app may not call (loopback, private, link-local, metadata, a host outside a rule…).</summary>
public sealed class BlockedDestinationException(string message, string reason = "address") : Exception(message)
{
    /// <summary>A short code: address, host, scheme, url or redirects.</summary>
    public string Reason { get; } = reason;
}

/// <summary>Which addresses an outbound call may reach: public ones, plus what the platform allowlists.</summary>
public static class NetworkPolicy
{
    private static readonly IPNetwork[] Private =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
        // NAT64 and 6to4 embed an IPv4 address (64:ff9b::7f00:1 is loopback): refused rather than unpacked.
        IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2002::/16"),
    ];

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Private.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }

    public static bool IsAllowed(IPAddress address, string host, int port, IEnumerable<string> allowlist)
    {
        if (!IsPrivate(address)) return true;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var entry in allowlist)
        {
            var (target, entryPort) = SplitPort(entry.Trim());
            if (entryPort is { } p && p != port) continue;
            if (string.Equals(target, host, StringComparison.OrdinalIgnoreCase)) return true;
            if (IPNetwork.TryParse(target, out var network) && network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address)) return true;
            if (IPAddress.TryParse(target, out var ip) && ip.Equals(address)) return true;
        }
        return false;
    }

    /// <summary>
    /// Resolves <paramref name="host"/> (with <paramref name="resolve"/>, DNS by default) and keeps the addresses a
    /// connection may use; throws when none is left. <paramref name="exempt"/> names a destination trusted as
    /// configured by the platform (the Graph origin), whatever it resolves to.
    /// </summary>
    public static async Task<IReadOnlyList<IPAddress>> AllowedAddressesAsync(string host, int port, IEnumerable<string> allowlist,
        Func<string, int, bool>? exempt = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, CancellationToken ct = default)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal]
            : await (resolve ?? Dns.GetHostAddressesAsync)(host, ct);
        if (exempt?.Invoke(host, port) == true) return addresses;
        var list = allowlist as IReadOnlyCollection<string> ?? allowlist.ToList();
        var allowed = addresses.Where(a => IsAllowed(a, host, port, list)).ToList();
        if (allowed.Count == 0)
            throw new BlockedDestinationException(addresses.Length == 0 ? $"{host} does not resolve"
                : $"{host} resolves to {addresses[0]}, a private, loopback, link-local or metadata address");
        return allowed;
    }

    private static (string Target, int? Port) SplitPort(string entry)
    {
        var colon = entry.LastIndexOf(':');
        // "host:port" or "1.2.3.4:port"; an IPv6 entry must be written in brackets to carry a port.
        if (colon > 0 && entry.IndexOf(':') == colon && int.TryParse(entry[(colon + 1)..], out var port)) return (entry[..colon], port);
        if (entry.StartsWith('[') && entry.Contains("]:") && int.TryParse(entry[(entry.IndexOf("]:") + 2)..], out var p6))
            return (entry[1..entry.IndexOf(']')], p6);
        return (entry.Trim('[', ']'), null);
    }
}

/// <summary>
/// The one way the app calls addresses it does not control (custom tools, customers' media, outbound webhooks):
/// a handler that resolves names itself and connects only to allowed addresses (so a DNS answer cannot change
/// between the check and the connect), and redirects followed one hop at a time with every hop re-checked.
/// </summary>
public sealed class GuardedNetwork(IOptionsMonitor<NetworkOptions> network, IOptionsMonitor<AgentOptions> legacy)
{
    public IReadOnlyList<string> Allowlist => [.. network.CurrentValue.PrivateAllowlist, .. legacy.CurrentValue.ToolAllowlist];

    /// <summary>A handler for a named client; <paramref name="exempt"/> is asked for (host, port) trusted by configuration.</summary>
    public static SocketsHttpHandler CreateHandler(IServiceProvider services, Func<string, int, bool>? exempt = null)
    {
        var guard = services.GetRequiredService<GuardedNetwork>();
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // each hop is followed (and checked) by the caller
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host;
                var port = context.DnsEndPoint.Port;
                var allowed = await NetworkPolicy.AllowedAddressesAsync(host, port, guard.Allowlist, exempt, null, ct);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed[0], port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary>
    /// GETs <paramref name="start"/>, following up to <paramref name="maxRedirects"/> redirects itself: each target must be
    /// http(s) and pass <paramref name="refuse"/> (null = allowed, else the reason) before a request is built for it
    /// by <paramref name="requestFor"/>, which decides that hop's headers (credentials only for trusted origins).
    /// The addresses are checked at connect time by the handler. Throws <see cref="BlockedDestinationException"/>.
    /// </summary>
    public static async Task<HttpResponseMessage> GetFollowingRedirectsAsync(HttpClient client, Uri start, Func<Uri, HttpRequestMessage> requestFor,
        Func<Uri, string?> refuse, int maxRedirects, CancellationToken ct)
    {
        var target = start;
        for (var hop = 0; ; hop++)
        {
            if (!target.IsAbsoluteUri || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
                throw new BlockedDestinationException($"{target.Scheme} URLs are not allowed", "scheme");
            if (!string.IsNullOrEmpty(target.UserInfo)) throw new BlockedDestinationException("URLs with credentials are not allowed", "url");
            if (refuse(target) is { } reason) throw new BlockedDestinationException(reason, "host");
            using var request = requestFor(target);
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= maxRedirects) throw new BlockedDestinationException($"too many redirects (more than {maxRedirects})", "redirects");
                target = location.IsAbsoluteUri ? location : new Uri(target, location);
                continue;
            }
            return response;
        }
    }

    /// <summary>The <see cref="BlockedDestinationException"/> behind a failed call, if that is why it failed.</summary>
    public static BlockedDestinationException? Blocked(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is BlockedDestinationException b) return b;
        }
        return null;
    }
}
