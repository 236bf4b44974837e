using System.Text.RegularExpressions;

namespace OperatorConsole.Infrastructure.Logging;

/// <summary>
/// Masks personal data and secrets in log text: phone numbers, e-mail addresses, bearer tokens, API keys and
/// access_token-style query values. Applied by the log formatter to every message and state value.
/// </summary>
public static partial class LogRedactor
{
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        text = BearerPattern().Replace(text, "Bearer ***");
        text = ApiKeyPattern().Replace(text, m => m.Value[..Math.Min(8, m.Value.Length)] + "***");
        text = SecretParamPattern().Replace(text, m => m.Groups[1].Value + "=***");
        text = EmailPattern().Replace(text, m => m.Value[0] + "***@" + m.Groups["domain"].Value);
        text = PhonePattern().Replace(text, m => MaskDigits(m.Value));
        return text;
    }

    // Keep the last 4 digits so support can still tell two customers apart.
    private static string MaskDigits(string value)
    {
        var digits = value.Count(char.IsAsciiDigit);
        if (digits < 8) return value; // durations, counts and short ids are not phone numbers
        var keep = 4;
        var seen = 0;
        return string.Concat(value.Select(c =>
        {
            if (!char.IsAsciiDigit(c)) return c.ToString();
            seen++;
            return seen > digits - keep ? c.ToString() : "*";
        }));
    }

    [GeneratedRegex(@"Bearer\s+[A-Za-z0-9\-._~+/]+=*", RegexOptions.IgnoreCase)]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"\b(?:csk|sk|rk|whsec|pk)_[A-Za-z0-9_\-]{8,}")]
    private static partial Regex ApiKeyPattern();

    [GeneratedRegex(@"\b(access_token|token|secret|password|app_secret|api_key)=[^&\s""']+", RegexOptions.IgnoreCase)]
    private static partial Regex SecretParamPattern();

    [GeneratedRegex(@"\b[A-Za-z0-9._%+\-]+@(?<domain>[A-Za-z0-9.\-]+\.[A-Za-z]{2,})\b")]
    private static partial Regex EmailPattern();

    // 8–15 digits, optionally with a leading + and separators: E.164, wa_id and local formats. GUIDs and
    // timestamps are not matched because they are excluded by the surrounding-character checks.
    [GeneratedRegex(@"(?<![\w\-])\+?\d[\d \-().]{6,18}\d(?![\w\-])")]
    private static partial Regex PhonePattern();
}
