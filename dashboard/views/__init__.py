"""The dashboard's pages (one file each) and the widgets they share."""
