using System.Security.Cryptography;

namespace OperatorConsole.App.Hosting;

/// <summary>
/// Browser-side defences on every response: no framing, no MIME sniffing, a referrer that does not leak paths to
/// other sites, and a Content-Security-Policy for the console's pages. Values already set by an endpoint win
/// (/media sets its own sandbox policy and is left alone).
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "console.csp-nonce";

    /// <summary>The nonce this response's CSP allows for inline scripts (the import map Blazor renders).</summary>
    public static string CspNonce(this HttpContext context) =>
        context.Items.TryGetValue(NonceKey, out var nonce) && nonce is string value ? value : "";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.TryAdd("X-Content-Type-Options", "nosniff");
            headers.TryAdd("X-Frame-Options", "DENY");
            headers.TryAdd("Referrer-Policy", "strict-origin-when-cross-origin");
            headers.TryAdd("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
            if (!context.Request.Path.StartsWithSegments("/media"))
                headers.TryAdd("Content-Security-Policy", Policy(context, nonce));
            return Task.CompletedTask;
        });
        return next(context);
    });

    // Blazor Server talks over a WebSocket to this origin; MudBlazor writes style attributes, hence 'unsafe-inline'
    // for styles only. Scripts come from this origin, plus the one inline import map carrying the nonce.
    private static string Policy(HttpContext context, string nonce)
    {
        // The host goes into a header value: only a plain host[:port] is echoed (anything else keeps 'self' alone).
        var host = context.Request.Host.Value ?? "";
        var sockets = host.Length > 0 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')
            ? $" ws://{host} wss://{host}" : "";
        // Only the Channels page loads Meta's SDK for WhatsApp Embedded Signup: its script origin and the facebook.com
        // frames it opens are allowed there and nowhere else.
        var meta = context.Request.Path.StartsWithSegments("/channels");
        return "default-src 'self'; "
            + $"script-src 'self' 'nonce-{nonce}'{(meta ? " https://connect.facebook.net" : "")}; "
            + (meta ? "frame-src https://www.facebook.com https://web.facebook.com; " : "")
            + "style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data: blob:; "
            + "font-src 'self' data:; "
            + "media-src 'self' blob:; "
            + $"connect-src 'self'{sockets}; "
            + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }
}
