"""License Management: the License Management tree, the table of licenses in pools, tags, CSV.

`queries` builds every query on licenses in pools (page, export, CLI); `paging` serves pages
fast; `tree` builds the tree; `status` says what state a license is in; `tags` edits tags;
`export` writes CSV; `views` is the web pages, `cli` the command line.
"""
