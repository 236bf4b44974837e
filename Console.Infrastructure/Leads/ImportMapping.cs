using System.Globalization;
using System.Text;
using OperatorConsole.Domain.Contacts;

namespace OperatorConsole.Infrastructure.Leads;

/// <summary>
/// Which lead field each CSV column fills. Targets: <c>name</c>, <c>phone</c>, <c>email</c>, <c>company</c>, <c>stage</c>,
/// <c>field:{key}</c> for a custom field; a column mapped to nothing is ignored.
/// </summary>
public static class ImportMapping
{
    public static readonly IReadOnlyList<string> StandardTargets = ["name", "phone", "email", "company", "stage"];

    // Headers people write in Spanish and English spreadsheets (folded: lowercase, no accents, letters and digits only).
    private static readonly Dictionary<string, string> Synonyms = new()
    {
        ["nombre"] = "name", ["name"] = "name", ["nombrecompleto"] = "name", ["fullname"] = "name", ["cliente"] = "name",
        ["contacto"] = "name", ["customer"] = "name", ["firstname"] = "name",
        ["telefono"] = "phone", ["phone"] = "phone", ["celular"] = "phone", ["whatsapp"] = "phone", ["movil"] = "phone",
        ["tel"] = "phone", ["mobile"] = "phone", ["phonenumber"] = "phone", ["numero"] = "phone", ["cel"] = "phone",
        ["numerodetelefono"] = "phone", ["telefonomovil"] = "phone",
        ["correo"] = "email", ["email"] = "email", ["mail"] = "email", ["correoelectronico"] = "email", ["emailaddress"] = "email",
        ["empresa"] = "company", ["company"] = "company", ["compania"] = "company", ["negocio"] = "company",
        ["organizacion"] = "company", ["organization"] = "company",
        ["etapa"] = "stage", ["stage"] = "stage", ["fase"] = "stage", ["leadstage"] = "stage",
    };

    /// <summary>The guessed target per header (headers that match nothing are left out); each target is used once.</summary>
    public static Dictionary<string, string> Guess(IEnumerable<string> headers, IReadOnlyList<CustomFieldDefinition> definitions)
    {
        var mapping = new Dictionary<string, string>();
        var used = new HashSet<string>();
        foreach (var header in headers)
        {
            var folded = Fold(header);
            var target = Synonyms.GetValueOrDefault(folded)
                ?? definitions.Where(d => Fold(d.Key) == folded || Fold(d.Label) == folded).Select(d => LeadCommands.CustomPrefix + d.Key).FirstOrDefault();
            if (target is not null && used.Add(target)) mapping[header] = target;
        }
        return mapping;
    }

    public static string Fold(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
