// mrsynth report, index page: sort the score table by any column (click its header again to reverse) and filter it.
'use strict';
(() => {
  const table = document.getElementById('scores');
  if (!table) return;
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const count = document.getElementById('row-count');
  const cellValue = (row, column, kind) => {
    const cell = row.cells[column];
    if (kind !== 'number') return cell.textContent;
    const value = cell.dataset.value;
    return value === '' || value === undefined ? NaN : Number(value);
  };
  for (const header of table.tHead.rows[0].cells) {
    const sort = () => {
      const column = Number(header.dataset.column);
      const kind = header.dataset.kind;
      const descending = header.getAttribute('aria-sort') === 'ascending';
      for (const other of table.tHead.rows[0].cells) other.removeAttribute('aria-sort');
      header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      const sign = descending ? -1 : 1;
      const sorted = [...body.rows].sort((a, b) => {
        const x = cellValue(a, column, kind), y = cellValue(b, column, kind);
        if (kind === 'number') {
          if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) - Number.isNaN(y); // missing values last
          return sign * (x - y);
        }
        return sign * x.localeCompare(y);
      });
      body.append(...sorted);
    };
    header.addEventListener('click', sort);
    header.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); sort(); } });
  }
  const text = document.getElementById('filter-text');
  const selects = [...document.querySelectorAll('select[data-filter]')];
  const filter = () => {
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const visible = (needle === '' || row.textContent.toLowerCase().includes(needle))
        && selects.every((s) => s.value === '' || row.dataset[s.dataset.filter] === s.value);
      row.hidden = !visible;
      if (visible) shown++;
    }
    count.textContent = `${shown} of ${rows.length} rows`;
  };
  text.addEventListener('input', filter);
  for (const s of selects) s.addEventListener('change', filter);
  filter();
})();
