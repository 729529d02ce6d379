namespace Shrink.Reports.Html;

/// <summary>The page's inline style sheet (no external fonts or files: the page stands alone).</summary>
internal static class ReportStyle
{
    public const string Css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1000px; padding: 0 1em; color: #1d2430; background: #fff; }
        h1 { font-size: 1.5em; border-bottom: 2px solid #d6dbe3; padding-bottom: .3em; }
        h2 { font-size: 1.15em; margin-top: 1.8em; }
        table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
        th, td { border: 1px solid #d6dbe3; padding: .25em .6em; text-align: left; vertical-align: top; }
        th { background: #eef1f5; }
        tr:nth-child(even) td { background: #f8f9fb; }
        ul.notes { color: #4a5361; font-size: .9em; }
        figure { margin: 1em 0; }
        figcaption { font-weight: 600; margin-bottom: .3em; }
        svg.chart { max-width: 100%; height: auto; font-size: 11px; }
        svg .bar { fill: #3b6fb6; }
        svg .grid { stroke: #e3e7ee; stroke-width: 1; fill: none; }
        svg .axis { stroke: #1d2430; stroke-width: 1; fill: none; }
        svg .front { stroke: #c2410c; stroke-width: 2; fill: none; }
        svg .point { fill: #3b6fb6; fill-opacity: .7; }
        svg .point.highlight { fill: #c2410c; fill-opacity: 1; }
        svg .tick, svg .value { fill: #4a5361; }
        svg .label { fill: #1d2430; }
        svg .axis-label { fill: #1d2430; font-weight: 600; }
        pre.recipe { background: #f4f6f9; border: 1px solid #d6dbe3; padding: .8em; overflow-x: auto; font-size: .85em; }
        p.note, p.empty { color: #4a5361; font-size: .9em; }
        """;
}
