using System.Text;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// Reply buttons and lists as plain numbered text, for channels without native interactive messages
/// (Messenger, Instagram, TikTok): the customer answers with the number or the words.
/// </summary>
public static class NumberedText
{
    /// <summary>"¿Confirmas?\n\n1. Sí\n2. No".</summary>
    public static string Render(ButtonsContent buttons)
    {
        var text = new StringBuilder(buttons.Body);
        text.Append("\n\n");
        for (var i = 0; i < buttons.Buttons.Count; i++)
        {
            if (i > 0) text.Append('\n');
            text.Append(i + 1).Append(". ").Append(buttons.Buttons[i].Title);
        }
        return text.ToString();
    }

    /// <summary>"Blanqueamiento: 450 MXN\n\nPagar: https://…": the button's label names what the address is for.</summary>
    public static string Render(LinkContent link) => $"{link.Body}\n\n{link.Label}: {link.Url}";

    /// <summary>
    /// The body, then each section (its title on its own line) with rows numbered across the whole list, so a
    /// number names one row even when there are several sections. The list's button label has no place in text.
    /// </summary>
    public static string Render(ListContent list)
    {
        var text = new StringBuilder(list.Body);
        var number = 0;
        foreach (var section in list.Sections)
        {
            text.Append("\n\n");
            if (!string.IsNullOrWhiteSpace(section.Title)) text.Append(section.Title).Append('\n');
            for (var i = 0; i < section.Rows.Count; i++)
            {
                if (i > 0) text.Append('\n');
                var row = section.Rows[i];
                text.Append(++number).Append(". ").Append(row.Title);
                if (!string.IsNullOrWhiteSpace(row.Description)) text.Append(" — ").Append(row.Description);
            }
        }
        return text.ToString();
    }
}
