using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Options;

/// <summary>Meta platform app (WhatsApp, Messenger, Instagram). Keys: Meta:*.</summary>
public sealed class MetaOptions
{
    public string? AppSecret { get; set; }
    public string? VerifyToken { get; set; }
    [Required, Url] public string GraphBaseUrl { get; set; } = "https://graph.facebook.com";
    [Required, RegularExpression(@"^v\d+\.\d+$")] public string GraphVersion { get; set; } = "v23.0";
}

public sealed class TikTokOptions
{
    public string? ClientSecret { get; set; }
    public string ApiBaseUrl { get; set; } = "https://business-api.tiktok.com";
}

public sealed class LlmOptions
{
    public string Endpoint { get; set; } = "https://api.openai.com/v1";
    public string? ApiKey { get; set; }
    public string Model { get; set; } = "gpt-4o";
    public string AnalysisModel { get; set; } = "gpt-4o-mini";
}

public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }
    public string? ApiBase { get; set; }
    public Dictionary<string, string> Prices { get; set; } = [];
}

public enum OutboundMode { Live, Loopback }

public sealed class OutboundOptions
{
    public OutboundMode Mode { get; set; } = OutboundMode.Live;
}

public sealed class PlatformOptions
{
    /// <summary>A platform (super admin) API key for automation and first setup. Empty disables it.</summary>
    public string? BootstrapApiKey { get; set; }
}
