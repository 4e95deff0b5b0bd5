using System.Globalization;
using Sluice.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Sluice.Samples.LiveProducts;

/// <summary>Renders the live table, the connection state and the last transaction as one Spectre.Console table.</summary>
public static class ProductsView
{
    public static IRenderable Render(LiveTable<long, Product> products, ConnectionState state, string lastEvent)
    {
        var table = new Table()
            .Border(TableBorder.Rounded)
            .Title($"[bold]public.products[/] — {products.Count} rows")
            .Caption($"{Markup.Escape(state.ToString())} · {Markup.Escape(products.Mode.ToString())} · {Markup.Escape(lastEvent)}")
            .AddColumn(new TableColumn("id").RightAligned())
            .AddColumn("name")
            .AddColumn(new TableColumn("price").RightAligned())
            .AddColumn("tags")
            .AddColumn("updated");
        foreach (var product in products.Rows.Values.OrderBy(p => p.Id).Take(40))
        {
            table.AddRow(
                product.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(product.Name),
                product.Price?.ToString("0.00", CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(string.Join(", ", product.Tags)),
                product.UpdatedAt.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        }
        return table;
    }
}
