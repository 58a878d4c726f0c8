import './shoelace.ts';
import './styles.css';
import './app.ts';
