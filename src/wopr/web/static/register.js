// Offline play and whole-release updates: the service worker (sw.js), registered once the board plays, so that what
// it keeps is never fetched in competition with the page. Where a browser offers none (plain HTTP off localhost, as
// on an S3 website endpoint) the page plays as it is.
if ('serviceWorker' in navigator) {
  new PerformanceObserver((marks, observer) => {
    if (!marks.getEntriesByName('wopr-playable').length) return;
    observer.disconnect();
    navigator.serviceWorker.register('sw.js')
      .catch((e) => console.info(`This page will not play offline: ${e.message}`));
  }).observe({ type: 'mark', buffered: true });
}
