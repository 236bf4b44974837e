using MudBlazor;

namespace OperatorConsole.App.Components.Layout;

public static class ConsoleTheme
{
    // System font stack only: no web fonts or CDNs (the app must work offline).
    private static readonly string[] Fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#0f766e",
            Secondary = "#64748b",
            Tertiary = "#7c3aed",
            AppbarBackground = "#0f766e",
            Background = "#f6f8fa",
            DrawerBackground = "#ffffff",
            Success = "#16a34a",
            Warning = "#d97706",
            Error = "#dc2626",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#2dd4bf",
            Secondary = "#94a3b8",
            Tertiary = "#a78bfa",
            AppbarBackground = "#111827",
            Background = "#0b1220",
            Surface = "#111827",
            DrawerBackground = "#0f172a",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts },
            H4 = new H4Typography { FontFamily = Fonts, FontSize = "1.6rem", FontWeight = "600" },
            Button = new ButtonTypography { FontFamily = Fonts, TextTransform = "none", FontWeight = "500" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
