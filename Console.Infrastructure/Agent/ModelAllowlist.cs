using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Which models tenants may run. The platform pays for (and vouches for) every model call, so a tenant cannot pick an
/// expensive or unvetted model: saving one is refused, and a turn never sends one even if it was stored earlier.
/// </summary>
public sealed class ModelAllowlist(IOptions<PlatformOptions> options, IOptions<LlmOptions> llm)
{
    public IReadOnlyList<string> Allowed { get; } = Compute(options.Value, llm.Value);

    public string Default => llm.Value.Model;

    private static List<string> Compute(PlatformOptions o, LlmOptions llm)
    {
        var configured = o.AllowedModels.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim()).ToList();
        return (configured.Count > 0 ? configured : [llm.Model, llm.AnalysisModel]).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Null (the platform's default) is always allowed.</summary>
    public bool IsAllowed(string? model) => string.IsNullOrWhiteSpace(model) || Allowed.Contains(model.Trim(), StringComparer.Ordinal);

    /// <summary>The model a call really uses: the tenant's when allowed, otherwise the platform default.</summary>
    public string Resolve(string? model) => !string.IsNullOrWhiteSpace(model) && IsAllowed(model) ? model.Trim() : Default;

    public string Refusal(string model) => $"The model '{model}' is not available. Choose one of: {string.Join(", ", Allowed)}.";
}
