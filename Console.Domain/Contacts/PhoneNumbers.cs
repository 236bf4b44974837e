using PhoneNumbers;

namespace OperatorConsole.Domain.Contacts;

/// <summary>E.164 normalization. WhatsApp sends wa_id as digits without '+', so bare digits are read as international.</summary>
public static class PhoneNumberNormalizer
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Returns the E.164 form ("+5215512345678"), or null when the input is not a valid number.</summary>
    public static string? ToE164(string? raw, string defaultRegion = "MX")
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var text = raw.Trim();
        var digits = new string(text.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length < 6 || digits.Length > 15) return null;
        // wa_id style: digits only, already including the country code.
        if (!text.StartsWith('+') && text.All(c => char.IsAsciiDigit(c)) && digits.Length > 10)
            text = "+" + digits;
        // WhatsApp still reports Mexican mobiles with the pre-2019 "1" after +52; the E.164 number has no "1".
        if (text.StartsWith("+521") && digits.Length == 13)
            text = "+52" + digits[3..];
        try
        {
            var number = Util.Parse(text, defaultRegion);
            return Util.IsPossibleNumber(number) ? Util.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
